import { definitionDiff as diffDefinitions } from '../../src/cohorts/definition-diff';

// Paths in key order, so the same two versions always give the same list.
describe('diffing two definitions', () => {
  it('finds nothing between equal definitions, whatever their key order', () => {
    expect(
      diffDefinitions(
        { id: 'a', rule: { trait: { name: 'plan', in: ['pro'] } } },
        { rule: { trait: { in: ['pro'], name: 'plan' } }, id: 'a' },
      ),
    ).toEqual([]);
  });

  it('names a changed leaf by its dotted path', () => {
    expect(
      diffDefinitions({ rule: { event: { count: { gte: 3 } } } }, { rule: { event: { count: { gte: 4 } } } }),
    ).toEqual([{ path: 'rule.event.count.gte', before: 3, after: 4 }]);
  });

  it('leaves out before for an added key and after for a removed one', () => {
    expect(
      diffDefinitions({ status: 'active', owner: 'qa' }, { status: 'deprecated', deprecationReason: 'replaced' }),
    ).toEqual([
      { path: 'deprecationReason', after: 'replaced' },
      { path: 'owner', before: 'qa' },
      { path: 'status', before: 'active', after: 'deprecated' },
    ]);
  });

  it('walks arrays by index, reporting extra elements on either side', () => {
    expect(diffDefinitions({ all: [{ a: 1 }, { b: 2 }] }, { all: [{ a: 1 }, { b: 3 }, { c: 4 }] })).toEqual([
      { path: 'all.1.b', before: 2, after: 3 },
      { path: 'all.2', after: { c: 4 } },
    ]);
  });

  it('reports a value that changed kind as a whole, and null as a value', () => {
    expect(diffDefinitions({ rule: { any: [] }, limit: null }, { rule: 'none', limit: 5 })).toEqual([
      { path: 'limit', before: null, after: 5 },
      { path: 'rule', before: { any: [] }, after: 'none' },
    ]);
  });

  it("uses '(definition)' for the whole definition, e.g. a deletion's tombstone", () => {
    expect(diffDefinitions({ id: 'a' }, null)).toEqual([{ path: '(definition)', before: { id: 'a' }, after: null }]);
  });
});
