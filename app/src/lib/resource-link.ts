import { resolve } from '$app/paths';

/**
 * The page of one resource. Resource ids are the provider's own, and many hold slashes (an EKS cluster's
 * `arn:…:cluster/name`, an IAM role's `role/name`): encoded, the id stays one path segment, which the page's
 * `[resourceId]` parameter receives decoded.
 */
export function resourceHref(resourceId: string): string {
  return resolve('/resources/[resourceId]', { resourceId: encodeURIComponent(resourceId) });
}
