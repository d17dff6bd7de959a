import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SmtpCapture } from '@deletion/testing';

/**
 * Runs the development SMTP server: it accepts every email on loopback,
 * writes it to MAIL_DIR as a text file and prints its subject and recipients.
 */
async function main(): Promise<void> {
  const port = Number(process.env.SMTP_PORT ?? 1025);
  const directory = process.env.MAIL_DIR ?? '.tmp/mail';
  mkdirSync(directory, { recursive: true });

  let count = 0;
  const capture = new SmtpCapture((message) => {
    count += 1;
    const file = join(directory, `${new Date().toISOString().replace(/[:.]/g, '-')}-${count}.txt`);
    writeFileSync(file, `From: ${message.from}\nTo: ${message.to.join(', ')}\nSubject: ${message.subject}\n\n${message.text}\n`);
    console.log(`mail to ${message.to.join(', ')}: "${message.subject}" (${file})`);
  });
  await capture.start(port);
  console.log(`mail catcher listening on 127.0.0.1:${port}, writing to ${directory}`);
}

void main();
