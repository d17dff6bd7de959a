import { VerifiedTokens } from './verified-tokens';

describe('VerifiedTokens', () => {
  const ada = { accountId: 'ada', isOperator: false };
  let now: number;
  const clock = () => now;

  beforeEach(() => {
    now = 1_700_000_000_000;
  });

  it('finds a remembered token until its exp', () => {
    const tokens = new VerifiedTokens(60_000, 100, clock);
    tokens.remember('token-a', ada, now / 1000 + 10);

    now += 9_999;
    expect(tokens.find('token-a')).toEqual(ada);
    now += 1;
    expect(tokens.find('token-a')).toBeUndefined();
  });

  it('forgets a token after its maximum age', () => {
    const tokens = new VerifiedTokens(60_000, 100, clock);
    tokens.remember('no-exp', ada, undefined);
    tokens.remember('far-exp', ada, now / 1000 + 86_400);

    now += 59_999;
    expect(tokens.find('no-exp')).toEqual(ada);
    expect(tokens.find('far-exp')).toEqual(ada);
    now += 1;
    expect(tokens.find('no-exp')).toBeUndefined();
    expect(tokens.find('far-exp')).toBeUndefined();
  });

  it('does not remember a token that has already expired', () => {
    const tokens = new VerifiedTokens(60_000, 100, clock);
    tokens.remember('expired', ada, now / 1000);

    expect(tokens.find('expired')).toBeUndefined();
  });

  it('matches the exact token text only', () => {
    const tokens = new VerifiedTokens(60_000, 100, clock);
    tokens.remember('token-a', ada, undefined);

    expect(tokens.find('token-a ')).toBeUndefined();
    expect(tokens.find('token-A')).toBeUndefined();
  });

  it('drops the tokens remembered first beyond its size', () => {
    const tokens = new VerifiedTokens(60_000, 2, clock);
    tokens.remember('first', ada, undefined);
    tokens.remember('second', ada, undefined);
    tokens.remember('third', ada, undefined);

    expect(tokens.find('first')).toBeUndefined();
    expect(tokens.find('second')).toEqual(ada);
    expect(tokens.find('third')).toEqual(ada);
  });
});
