import { UnboundedDeleteError, assertDeleteCriteria } from './delete-criteria.guard';

describe('assertDeleteCriteria', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an empty object', {}],
    ['an empty list', []],
    ['only undefined values', { workspaceId: undefined }],
    ['a blank workspace id', { workspaceId: '  ' }],
    ['an empty id list', { workspaceId: 'ws-1', userIds: [] }],
    ['a list with a missing id', ['u-1', undefined]],
    ['one undefined beside a value', { workspaceId: 'ws-1', sourceId: undefined }],
  ])('rejects %s', (_label, criteria) => {
    expect(() => assertDeleteCriteria(criteria, 'test delete')).toThrow(UnboundedDeleteError);
  });

  it('accepts a bounded criteria object', () => {
    expect(() => assertDeleteCriteria({ workspaceId: 'ws-1', userIds: ['u-1'] }, 'test delete')).not.toThrow();
  });

  it('names the field in its message', () => {
    expect(() => assertDeleteCriteria({ workspaceId: undefined }, 'profiles purge')).toThrow('profiles purge.workspaceId');
  });
});
