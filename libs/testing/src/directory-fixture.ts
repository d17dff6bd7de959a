import {
  MembershipRole,
  accountCreatedV1,
  membershipGrantedV1,
  sourceCreatedV1,
  workspaceCreatedV1,
} from '@deletion/contracts';
import { EventPublisher } from '@deletion/kafka';
import { hashSync } from 'bcryptjs';
import { createHash } from 'node:crypto';

/** The password of every account in the development and test directory. */
export const DEVELOPMENT_PASSWORD = 'deletion-demo-password';

export interface FixtureWorkspace {
  id: string;
  slug: string;
  name: string;
  sources: Array<{ id: string; slug: string; name: string }>;
}

export interface FixtureAccount {
  id: string;
  email: string;
  name: string;
  operator: boolean;
  memberships: Array<{ workspace: string; role: MembershipRole }>;
}

export interface DirectoryFixture {
  workspaces: FixtureWorkspace[];
  accounts: FixtureAccount[];
}

/** A stable UUID derived from a name (SHA-1, formatted like a version 5 UUID), so fixtures have the same ids on every run. */
export function stableUuid(name: string): string {
  const hex = createHash('sha1').update(`deletion-platform:${name}`).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function workspace(slug: string, name: string): FixtureWorkspace {
  return {
    id: stableUuid(`workspace:${slug}`),
    slug,
    name,
    sources: ['web', 'ios'].map((source) => ({ id: stableUuid(`source:${slug}:${source}`), slug: source, name: `${name} ${source}` })),
  };
}

function account(email: string, name: string, memberships: FixtureAccount['memberships'], operator = false): FixtureAccount {
  return { id: stableUuid(`account:${email}`), email, name, operator, memberships };
}

/**
 * Builds the standard directory: `acme` and `acme-eu` (a slug that shares a
 * prefix) administered by ada, `globex` by gil, bob a member of `acme`, and
 * an operator.
 */
export function standardDirectory(): DirectoryFixture {
  return {
    workspaces: [workspace('acme', 'Acme'), workspace('acme-eu', 'Acme EU'), workspace('globex', 'Globex')],
    accounts: [
      account('ada@acme.test', 'Ada', [
        { workspace: 'acme', role: 'admin' },
        { workspace: 'acme-eu', role: 'admin' },
      ]),
      account('bob@acme.test', 'Bob', [{ workspace: 'acme', role: 'member' }]),
      account('gil@globex.test', 'Gil', [{ workspace: 'globex', role: 'admin' }]),
      account('ops@platform.test', 'Operator', [], true),
    ],
  };
}

export function findWorkspace(fixture: DirectoryFixture, slug: string): FixtureWorkspace {
  const found = fixture.workspaces.find((candidate) => candidate.slug === slug);
  if (!found) {
    throw new Error(`workspace ${slug} is not in the fixture`);
  }
  return found;
}

export function findAccount(fixture: DirectoryFixture, email: string): FixtureAccount {
  const found = fixture.accounts.find((candidate) => candidate.email === email);
  if (!found) {
    throw new Error(`account ${email} is not in the fixture`);
  }
  return found;
}

/** Publishes the directory through the `platform.*` topics, as the platform's own services would. */
export async function publishDirectory(publisher: EventPublisher, fixture: DirectoryFixture): Promise<void> {
  const passwordHash = hashSync(DEVELOPMENT_PASSWORD, 10);
  for (const ws of fixture.workspaces) {
    await publisher.publish(
      workspaceCreatedV1,
      { workspaceId: ws.id, slug: ws.slug, name: ws.name, createdAt: new Date('2024-01-01T00:00:00Z').toISOString() },
      { key: ws.id, workspaceId: ws.id },
    );
    for (const source of ws.sources) {
      await publisher.publish(
        sourceCreatedV1,
        { workspaceId: ws.id, sourceId: source.id, slug: source.slug, name: source.name },
        { key: ws.id, workspaceId: ws.id },
      );
    }
  }
  for (const person of fixture.accounts) {
    await publisher.publish(
      accountCreatedV1,
      { accountId: person.id, email: person.email, name: person.name, passwordHash, platformRoles: person.operator ? ['operator'] : [] },
      { key: person.id },
    );
  }
  for (const person of fixture.accounts) {
    for (const membership of person.memberships) {
      const ws = findWorkspace(fixture, membership.workspace);
      await publisher.publish(
        membershipGrantedV1,
        { workspaceId: ws.id, accountId: person.id, role: membership.role },
        { key: ws.id, workspaceId: ws.id },
      );
    }
  }
}
