import { booleanVariable, databaseVariables, integerVariable, kafkaVariables, loadConfig } from '@deletion/config';
import { z } from 'zod';

export const notifierConfigSchema = z.object({
  ...databaseVariables,
  ...kafkaVariables,
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: integerVariable(3003),
  SMTP_HOST: z.string().default('127.0.0.1'),
  SMTP_PORT: integerVariable(1025, 1),
  SMTP_SECURE: booleanVariable(false),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  SMTP_FROM: z.string().default('Deletion platform <no-reply@deletion-platform.local>'),
  /** Base URL of the public API, used in the links of every email. */
  PUBLIC_API_URL: z.url().default('http://127.0.0.1:3000'),
  /** Addresses that receive operator alerts (a request at risk of missing its deadline), comma-separated. */
  OPERATOR_EMAILS: z
    .string()
    .default('')
    .transform((text) => text.split(',').map((address) => address.trim()).filter(Boolean))
    .pipe(z.array(z.email())),
});

export type NotifierConfig = z.infer<typeof notifierConfigSchema>;

export function loadNotifierConfig(env: Record<string, string | undefined> = process.env): NotifierConfig {
  return loadConfig(notifierConfigSchema, env);
}
