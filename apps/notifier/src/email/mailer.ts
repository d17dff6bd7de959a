import { Transporter, createTransport } from 'nodemailer';
import { NotifierConfig } from '../notifier.config';
import { EmailContent } from './email-templates';

/** Sends email over SMTP; resolves once the server has accepted the message for every recipient. */
export class Mailer {
  private readonly transport: Transporter;

  constructor(private readonly config: NotifierConfig) {
    this.transport = createTransport({
      host: config.SMTP_HOST,
      port: config.SMTP_PORT,
      secure: config.SMTP_SECURE,
      auth: config.SMTP_USER ? { user: config.SMTP_USER, pass: config.SMTP_PASSWORD } : undefined,
    });
  }

  async send(to: string[], content: EmailContent): Promise<void> {
    await this.transport.sendMail({ from: this.config.SMTP_FROM, to, subject: content.subject, text: content.text });
  }

  close(): void {
    this.transport.close();
  }
}
