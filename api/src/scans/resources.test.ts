/** Which parts a page of a scan's resources reads: only those it reaches into, from the cursor on. */
import { describe, expect, it } from 'vitest';
import { partsOfPage } from './service.ts';

const parts = [
  { position: 0, part_key: 's3', length: 3 },
  { position: 1, part_key: 'iam', length: 0 },
  { position: 2, part_key: 'ec2@eu-west-1', length: 5 },
  { position: 3, part_key: 'ec2@us-east-1', length: 4 },
];

describe('partsOfPage', () => {
  it('reads from the first part until the page and one row more are held', () => {
    expect(partsOfPage(parts, null, 2)).toEqual([0]);
    // Three rows of s3 are the page; the row that says another page follows is in ec2@eu-west-1 (iam is empty).
    expect(partsOfPage(parts, null, 3)).toEqual([0, 2]);
    expect(partsOfPage(parts, null, 100)).toEqual([0, 2, 3]);
  });

  it("starts at the cursor's part, skipping what the cursor already passed", () => {
    // After the 3rd row of s3 nothing of it is left.
    expect(partsOfPage(parts, [0, 3], 2)).toEqual([2]);
    // After the 4th row of ec2@eu-west-1 one is left, so the next part is needed too.
    expect(partsOfPage(parts, [2, 4], 2)).toEqual([2, 3]);
    expect(partsOfPage(parts, [3, 4], 2)).toEqual([]);
  });
});
