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
  /** When it was written (messages of older versions have none: their file name holds the time). */
  created_at?: string;
}

/** An outbox message with its id (the file name) and time, as the demo lists them. */
export interface ListedOutboxMessage extends OutboxMessage {
  id: string;
  created_at: string;
}

/** The part of a nodemailer transport used here (the package ships no types). */
interface Transport {
  sendMail(message: MailMessage & { from: string }): Promise<{ message?: unknown }>;
}

/** The mailer the settings describe: SMTP with COMPLYWISE_SMTP_URL, else the outbox of the data dir. */
export function mailerFor(settings: { dataDir: string; smtpUrl?: string; mailFrom: string }): Mailer {
  return new Mailer({
    from: settings.mailFrom,
    outboxDir: join(settings.dataDir, 'outbox'),
    ...(settings.smtpUrl ? { smtpUrl: settings.smtpUrl } : {}),
  });
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

  /** The folder messages are written to; null when they go to an SMTP server. */
  get outboxDir(): string | null {
    return this.#settings.smtpUrl ? null : this.#settings.outboxDir;
  }

  /** Where messages go, for an operator: the SMTP host or the outbox folder (never the URL's password). */
  describeDestination(): string {
    if (!this.#settings.smtpUrl) return `the local outbox ${this.#settings.outboxDir}`;
    const url = new URL(this.#settings.smtpUrl);
    return `the SMTP server ${url.host}`;
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
      created_at: new Date().toISOString(),
    };
    mkdirSync(this.#settings.outboxDir, { recursive: true, mode: 0o700 });
    // Sortable by time of sending, unique within the millisecond.
    const name = `${new Date().toISOString().replaceAll(':', '-')}-${randomUUID()}.json`;
    writeFileSync(join(this.#settings.outboxDir, name), JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
}

/**
 * The messages in an outbox folder with their ids (file names without `.json`) and times, oldest first (tests
 * and the demo). The file name starts with the time written, which stands in for an older message's time.
 */
export function readOutbox(outboxDir: string): ListedOutboxMessage[] {
  let names: string[];
  try {
    names = readdirSync(outboxDir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.sort().map((name) => {
    const message = JSON.parse(readFileSync(join(outboxDir, name), 'utf8')) as OutboxMessage;
    const id = name.slice(0, -'.json'.length);
    const stamp = /^(\d{4}-\d{2}-\d{2}T\d{2})-(\d{2})-(\d{2}\.\d{3}Z)/.exec(id);
    const fromName = stamp ? `${stamp[1]}:${stamp[2]}:${stamp[3]}` : new Date(0).toISOString();
    return { ...message, id, created_at: message.created_at ?? fromName };
  });
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
