// The committed OpenAPI documents (openapi/<service>.json) are what the route schemas generate now:
// a changed route or schema fails here until `pnpm openapi` is run and the diff is committed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { documentPath, openapiDocument, SERVICES } from '../../openapi/generate.ts';

describe('openapi/*.json', () => {
  for (const service of SERVICES) {
    it(`${service}: the committed document matches the routes (run \`pnpm openapi\` after an API change)`, async () => {
      const generated = await openapiDocument(service);
      expect(readFileSync(documentPath(service), 'utf8')).toBe(generated);
      const doc = JSON.parse(generated) as { openapi: string; paths: Record<string, object> };
      expect(doc.openapi).toBe('3.0.3');
      expect(Object.keys(doc.paths)).toContain('/metrics');
      expect(Object.keys(doc.paths)).toContain('/health');
    });
  }

  it("documents the hosts' event contract on call-intake", async () => {
    const doc = JSON.parse(readFileSync(documentPath('call-intake'), 'utf8'));
    const dial = doc.paths['/dial'].post;
    expect(dial.tags).toEqual(['host events']);
    expect(Object.keys(dial.responses)).toEqual(['200', '400', '403', '413', '503']);
  });
});
