import { WorkspaceContext } from './directory.repository';
import { WorkspaceContextCache } from './workspace-context.cache';

function context(slug: string, callerRole: WorkspaceContext['callerRole'] = 'admin'): WorkspaceContext {
  return { id: `id-${slug}`, slug, name: slug, deletedAt: null, callerRole, admins: [] };
}

/** Returns a read that resolves with the value the test passes to `resolveWith`, counting its calls. */
function controlledRead() {
  const pending: Array<(value: WorkspaceContext | null) => void> = [];
  const read = jest.fn(() => new Promise<WorkspaceContext | null>((resolve) => pending.push(resolve)));
  return { read, resolveWith: (value: WorkspaceContext | null) => pending.shift()?.(value) };
}

describe('WorkspaceContextCache', () => {
  let now: number;
  const clock = () => now;

  beforeEach(() => {
    now = 1_000_000;
  });

  it('reuses a read until the TTL passes', async () => {
    const cache = new WorkspaceContextCache(1_000, 100, clock);
    let role: WorkspaceContext['callerRole'] = 'admin';
    const read = jest.fn(async () => context('acme', role));

    expect((await cache.get('acme', 'ada', read))?.callerRole).toBe('admin');
    role = 'member';
    now += 999;
    expect((await cache.get('acme', 'ada', read))?.callerRole).toBe('admin');
    expect(read).toHaveBeenCalledTimes(1);

    now += 1;
    expect((await cache.get('acme', 'ada', read))?.callerRole).toBe('member');
    expect(read).toHaveBeenCalledTimes(2);
  });

  it('keeps callers and workspaces apart', async () => {
    const cache = new WorkspaceContextCache(1_000, 100, clock);
    const read = jest.fn(async () => context('acme'));

    await cache.get('acme', 'ada', read);
    await cache.get('acme', 'bob', read);
    await cache.get('globex', 'ada', read);

    expect(read).toHaveBeenCalledTimes(3);
  });

  it('lets requests that arrive during a read share it', async () => {
    const cache = new WorkspaceContextCache(1_000, 100, clock);
    const { read, resolveWith } = controlledRead();

    const first = cache.get('acme', 'ada', read);
    const second = cache.get('acme', 'ada', read);
    resolveWith(context('acme'));

    expect(await first).toEqual(context('acme'));
    expect(await second).toEqual(context('acme'));
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('reads again after clear()', async () => {
    const cache = new WorkspaceContextCache(1_000, 100, clock);
    const { read, resolveWith } = controlledRead();

    const before = cache.get('acme', 'ada', read);
    cache.clear();
    resolveWith(context('acme', 'admin'));
    expect((await before)?.callerRole).toBe('admin');

    const after = cache.get('acme', 'ada', read);
    resolveWith(context('acme', 'member'));
    expect((await after)?.callerRole).toBe('member');
    expect(read).toHaveBeenCalledTimes(2);
  });

  it('does not keep a missing workspace or a failed read', async () => {
    const cache = new WorkspaceContextCache(1_000, 100, clock);
    const missing = jest.fn(async () => null);
    await cache.get('new-workspace', 'ada', missing);
    await cache.get('new-workspace', 'ada', missing);
    expect(missing).toHaveBeenCalledTimes(2);

    const failing = jest.fn(async (): Promise<WorkspaceContext | null> => {
      throw new Error('connection lost');
    });
    await expect(cache.get('acme', 'ada', failing)).rejects.toThrow('connection lost');
    const read = jest.fn(async () => context('acme'));
    expect(await cache.get('acme', 'ada', read)).toEqual(context('acme'));
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('reads every time with a TTL of 0', async () => {
    const cache = new WorkspaceContextCache(0, 100, clock);
    const read = jest.fn(async () => context('acme'));

    await cache.get('acme', 'ada', read);
    await cache.get('acme', 'ada', read);

    expect(read).toHaveBeenCalledTimes(2);
  });

  it('drops the oldest entries beyond its size', async () => {
    const cache = new WorkspaceContextCache(60_000, 2, clock);
    const read = jest.fn(async () => context('acme'));

    await cache.get('w1', 'ada', read);
    await cache.get('w2', 'ada', read);
    await cache.get('w3', 'ada', read);
    await cache.get('w3', 'ada', read);
    await cache.get('w2', 'ada', read);
    expect(read).toHaveBeenCalledTimes(3);

    await cache.get('w1', 'ada', read);
    expect(read).toHaveBeenCalledTimes(4);
  });
});
