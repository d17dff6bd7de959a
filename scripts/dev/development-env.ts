import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Reads `development.env`, with the process environment taking precedence for every variable. */
export function readDevelopmentEnv(): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const line of readFileSync(join(__dirname, 'development.env'), 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) {
      defaults[match[1]] = match[2];
    }
  }
  const merged: Record<string, string> = { ...defaults };
  for (const name of Object.keys(defaults)) {
    const value = process.env[name];
    if (value !== undefined && value !== '') {
      merged[name] = value;
    }
  }
  return merged;
}
