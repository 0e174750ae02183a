/**
 * ACM certificates, per region: ListCertificates (every key type: by default ACM lists only RSA 2048
 * certificates) and one DescribeCertificate each. The AWS::ACM::Certificate item of AWS Config records
 * DescribeCertificate's answer in lower camel; it is put back into the SDK's CertificateDetail shape so both
 * paths hand the same builder the same input.
 */
import {
  ACMClient,
  DescribeCertificateCommand,
  KeyAlgorithm,
  ListCertificatesCommand,
  type CertificateDetail,
  type CertificateSummary,
} from '@aws-sdk/client-acm';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import { iso, type AwsScanContext } from './aws-context.ts';
import { date, list, obj, str, type ConfigItem } from './config-item.ts';
import { pages } from './regional.ts';

const DESCRIBE_CONCURRENCY = 4;

function acm(ctx: AwsScanContext, region: string): ACMClient {
  return ctx.client('acm', region, (settings) => new ACMClient(settings));
}

export async function scanCertificates(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = acm(ctx, region);
  const listed = await pages<
    { CertificateSummaryList?: CertificateSummary[]; NextToken?: string },
    CertificateSummary
  >(
    ctx,
    'acm:ListCertificates',
    (NextToken, abortSignal) =>
      client.send(
        new ListCertificatesCommand({
          Includes: { keyTypes: Object.values(KeyAlgorithm) },
          NextToken,
          MaxItems: ctx.pageSize(1000),
        }),
        { abortSignal },
      ),
    (o) => o.CertificateSummaryList,
    (o) => o.NextToken,
  );
  const read = await mapWithConcurrency(listed ?? [], DESCRIBE_CONCURRENCY, async (summary) => {
    const CertificateArn = summary.CertificateArn ?? '';
    const described = await ctx.call('acm:DescribeCertificate', (abortSignal) =>
      client.send(new DescribeCertificateCommand({ CertificateArn }), { abortSignal }),
    );
    // Without its description nothing but the name is known: the certificate is left out, the error kept.
    if (!described.ok) {
      ctx.recordFailure('acm:DescribeCertificate', 'acm:DescribeCertificate', CertificateArn, described);
      return null;
    }
    return certificateResource(ctx, region, described.value.Certificate ?? { CertificateArn }, 'acm');
  });
  return read.filter((r): r is Resource => r !== null);
}

/** RSA_2048 / RSA-2048 -> RSA and 2048; EC_prime256v1 -> EC and the curve's size. */
export function keyOf(algorithm: string | undefined): { family: string | null; bits: number | null } {
  if (!algorithm) return { family: null, bits: null };
  const [family, size] = algorithm.replace('-', '_').split('_');
  if (family === 'RSA') return { family, bits: Number(size) || null };
  const curves: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };
  if (family === 'EC') return { family, bits: curves[size ?? ''] ?? null };
  return { family: family ?? null, bits: null };
}

/** Whole days from `now` to `then` (negative once past); null without a time. */
export function daysUntil(then: string | null, now: Date): number | null {
  if (!then) return null;
  return Math.floor((Date.parse(then) - now.getTime()) / 86_400_000);
}

export function certificateResource(
  ctx: AwsScanContext,
  region: string,
  c: CertificateDetail,
  api: string,
): Resource {
  const arn = c.CertificateArn ?? '';
  const key = keyOf(c.KeyAlgorithm);
  const now = ctx.now();
  const notAfter = iso(c.NotAfter);
  const inUseBy = c.InUseBy ?? [];
  return ctx.accountResource({
    id: arn,
    region,
    type: 'aws.acm.certificate',
    name: c.DomainName ?? arn,
    api,
    now,
    attributes: {
      domain_name: c.DomainName ?? null,
      status: c.Status ?? 'UNKNOWN',
      type: c.Type ?? 'UNKNOWN',
      key_algorithm: c.KeyAlgorithm?.replace('-', '_') ?? null,
      key_family: key.family,
      key_bits: key.bits,
      not_after: notAfter,
      days_to_expiry: daysUntil(notAfter, now),
      in_use: inUseBy.length > 0,
      in_use_by: inUseBy,
      renewal_eligibility: c.RenewalEligibility ?? 'INELIGIBLE',
    },
  });
}

/** A certificate's item: DescribeCertificate's detail in lower camel. */
export function certificateFromItem(item: ConfigItem): CertificateDetail {
  const c = obj(item.configuration);
  return {
    CertificateArn: str(c.certificateArn) ?? item.resourceId,
    DomainName: str(c.domainName),
    Status: str(c.status) as CertificateDetail['Status'],
    Type: str(c.type) as CertificateDetail['Type'],
    KeyAlgorithm: str(c.keyAlgorithm) as CertificateDetail['KeyAlgorithm'],
    NotAfter: date(c.notAfter) as unknown as Date,
    InUseBy: list(c.inUseBy).filter((v): v is string => typeof v === 'string'),
    RenewalEligibility: str(c.renewalEligibility) as CertificateDetail['RenewalEligibility'],
  };
}
