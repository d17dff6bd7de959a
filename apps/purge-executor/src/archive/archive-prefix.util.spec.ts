import { workspaceArchivePrefix } from './archive-prefix.util';

describe('workspaceArchivePrefix', () => {
  it('ends the prefix with a slash', () => {
    expect(workspaceArchivePrefix('0b7e4c1a-8f7e-4a55-9c2d-3f1e2a4b5c6d')).toBe('0b7e4c1a-8f7e-4a55-9c2d-3f1e2a4b5c6d/');
  });

  it.each(['', 'ws', 'ws_1', '0b7e4c1a-8f7e-4a55-9c2d', '0b7e4c1a-8f7e-4a55-9c2d-3f1e2a4b5c6d/', '0B7E4C1A-8F7E-4A55-9C2D-3F1E2A4B5C6D'])(
    'rejects "%s"',
    (workspaceId) => {
      expect(() => workspaceArchivePrefix(workspaceId)).toThrow('must be a lowercase UUID');
    },
  );
});
