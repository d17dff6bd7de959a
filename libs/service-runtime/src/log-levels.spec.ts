import { logLevelsFrom } from './log-levels';

describe('logLevelsFrom', () => {
  it('writes info and above by default', () => {
    expect(logLevelsFrom(undefined)).toEqual(['fatal', 'error', 'warn', 'log']);
    expect(logLevelsFrom('')).toEqual(['fatal', 'error', 'warn', 'log']);
  });

  it('accepts info as the name of log, in any case', () => {
    expect(logLevelsFrom('INFO')).toEqual(['fatal', 'error', 'warn', 'log']);
  });

  it('writes only warnings and errors for warn', () => {
    expect(logLevelsFrom('warn')).toEqual(['fatal', 'error', 'warn']);
  });

  it('writes everything for verbose', () => {
    expect(logLevelsFrom('verbose')).toEqual(['fatal', 'error', 'warn', 'log', 'debug', 'verbose']);
  });

  it('rejects an unknown level, naming it', () => {
    expect(() => logLevelsFrom('loud')).toThrow('LOG_LEVEL "loud" is not a log level');
  });
});
