/**
 * Outgoing e-mail (invitations, password resets, sign-up verification) through nodemailer. With
 * COMPLYWISE_SMTP_URL set, messages go to that SMTP server; without it, the embedded default writes each
 * message as a JSON file into `${dataDir}/outbox/` (nodemailer's jsonTransport), where tests read them and
 * the demo shows them. The links inside carry secrets: the outbox lives in the private data dir.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface MailerSettings {
  /** smtp:// or smtps:// URL; unset writes to `outboxDir`. */
  smtpUrl?: string;
  from: string;
  outboxDir: string;
}

/** A message as written to the outbox. */
export interface OutboxMessage {
  to: string;
  from: string;
  subject: string;
  text: string;
}

/** The part of a nodemailer transport used here (the package ships no types). */
interface Transport {
  sendMail(message: MailMessage & { from: string }): Promise<{ message?: unknown }>;
}

export class Mailer {
  readonly #settings: MailerSettings;
  readonly #transport: Transport;
  constructor(settings: MailerSettings) {
    this.#settings = settings;
    this.#transport = (
      settings.smtpUrl
        ? nodemailer.createTransport(settings.smtpUrl)
        : nodemailer.createTransport({ jsonTransport: true })
    ) as Transport;
  }

  async send(message: MailMessage): Promise<void> {
    const info = await this.#transport.sendMail({ from: this.#settings.from, ...message });
    if (this.#settings.smtpUrl) return;
    const sent = JSON.parse(String(info.message)) as {
      to: { address: string }[];
      from: { address: string };
      subject: string;
      text: string;
    };
    const stored: OutboxMessage = {
      to: sent.to.map((a) => a.address).join(', '),
      from: sent.from.address,
      subject: sent.subject,
      text: sent.text,
    };
    mkdirSync(this.#settings.outboxDir, { recursive: true, mode: 0o700 });
    // Sortable by time of sending, unique within the millisecond.
    const name = `${new Date().toISOString().replaceAll(':', '-')}-${randomUUID()}.json`;
    writeFileSync(join(this.#settings.outboxDir, name), JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
}

/** The messages in an outbox folder, oldest first (tests and the demo). */
export function readOutbox(outboxDir: string): OutboxMessage[] {
  let names: string[];
  try {
    names = readdirSync(outboxDir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.sort().map((n) => JSON.parse(readFileSync(join(outboxDir, n), 'utf8')) as OutboxMessage);
}

/**
 * The token of the newest link to `path` (e.g. `/accept-invitation`) mailed to `to`, or undefined: what the
 * recipient would click, for tests and the demo.
 */
export function lastTokenSentTo(outboxDir: string, to: string, path: string): string | undefined {
  const pattern = new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}#token=([A-Za-z0-9_-]+)`);
  return readOutbox(outboxDir)
    .filter((m) => m.to === to)
    .map((m) => pattern.exec(m.text)?.[1])
    .filter((token) => token !== undefined)
    .at(-1);
}
