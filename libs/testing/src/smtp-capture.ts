import { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CapturedEmail {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

/** An SMTP server on loopback that accepts every message and keeps it in memory for assertions. */
export class SmtpCapture {
  readonly messages: CapturedEmail[] = [];
  private server?: SMTPServer;

  constructor(private readonly onMessage?: (message: CapturedEmail) => void) {}

  async start(port = 0): Promise<number> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            const message: CapturedEmail = {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((recipient) => recipient.address),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
            };
            this.messages.push(message);
            this.onMessage?.(message);
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', () => resolve()));
    return (this.server.server.address() as AddressInfo).port;
  }

  /** Messages whose recipients include `address`. */
  to(address: string): CapturedEmail[] {
    return this.messages.filter((message) => message.to.includes(address));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
