/**
 * The fields of an AWS Config configuration item that the per-service normalizers read. config.ts's
 * ConfigItem has them all; the services import this instead so that config.ts, which calls them, is not
 * imported back (no import cycle).
 */
export interface ConfigItemFields {
  resourceId?: string;
  configuration?: unknown;
}
