// POST telephony/call/event, POST telephony/calls/upload, GET telephony/manager.
import type { FastifyInstance } from 'fastify';
import { jsonField, reject } from '../guard.ts';
import type { FakeContext } from '../context.ts';
import { validateCallEvent, validateUploadCall, type FieldErrors } from '../validate.ts';
import type { AcceptedEvent, AcceptedUpload } from '../state.ts';

const INVALID = 'Errors in the input parameters';

export function telephonyRoutes(app: FastifyInstance, ctx: FakeContext): void {
  app.post(
    '/api/v5/telephony/call/event',
    { config: { crm: { bucket: 'telephony', scope: 'telephony_write' } } },
    (req, reply) => {
      const event = jsonField(ctx, req, reply, 'event');
      if (event === undefined) return reply;
      const errors = validateCallEvent(event);
      if (Object.keys(errors).length) return reject(ctx, req, reply, 400, 'validation', INVALID, errors);
      const e = event as AcceptedEvent['event'];
      ctx.state.events.push({ receivedAt: Date.now(), key: req.crmKey!, event: e });
      const known = knownCodes(ctx);
      const notExistCodes = (e.codes ?? []).map(String).filter((c) => known.size > 0 && !known.has(c));
      const notExistUsers = (e.userIds ?? [])
        .map(Number)
        .filter((u) => ctx.users && !ctx.users.some((x) => x.id === u));
      return reply.code(200).send({
        success: true,
        ...(notExistCodes.length ? { notExistCodes } : {}),
        ...(notExistUsers.length ? { notExistUsers } : {}),
      });
    },
  );

  app.post(
    '/api/v5/telephony/calls/upload',
    { config: { crm: { bucket: 'telephony', scope: 'telephony_write' } } },
    (req, reply) => {
      const calls = jsonField(ctx, req, reply, 'calls');
      if (calls === undefined) return reply;
      if (!Array.isArray(calls) || calls.length < 1 || calls.length > 50) {
        return reject(ctx, req, reply, 400, 'validation', INVALID, { calls: 'must be an array of 1 to 50 calls' });
      }
      const errors: FieldErrors = Object.assign({}, ...calls.map((c, i) => validateUploadCall(c, i)));
      if (Object.keys(errors).length) return reject(ctx, req, reply, 400, 'validation', INVALID, errors);
      const duplicateCalls: string[] = [];
      let processed = 0;
      for (const call of calls as AcceptedUpload['call'][]) {
        if (call.externalId !== undefined && ctx.seenExternalIds.has(call.externalId)) {
          duplicateCalls.push(call.externalId);
          ctx.state.duplicateUploads += 1;
          continue;
        }
        if (call.externalId !== undefined) ctx.seenExternalIds.add(call.externalId);
        ctx.state.uploads.push({ receivedAt: Date.now(), key: req.crmKey!, call });
        processed += 1;
      }
      return reply.code(200).send({ success: true, processedCallsCount: processed, duplicateCalls });
    },
  );

  app.get(
    '/api/v5/telephony/manager',
    { config: { crm: { bucket: 'telephony', scope: 'telephony_read' } } },
    (req, reply) => {
      const { phone, details } = req.query as { phone?: string; details?: string };
      if (!phone) return reject(ctx, req, reply, 400, 'missing_parameter', "Parameter 'phone' is missing");
      const digits = phone.replace(/\D/g, '');
      const entry = Object.entries(ctx.managerByPhone).find(([p]) => p.replace(/\D/g, '') === digits);
      const user = entry && ctx.users?.find((u) => u.id === entry[1]);
      const customer =
        details === '1'
          ? Object.entries(ctx.customerByPhone).find(([p]) => p.replace(/\D/g, '') === digits)?.[1]
          : undefined;
      if (!entry) return reply.send({ success: true, ...(customer ? { customer } : {}) });
      const code = codesOf(ctx, entry[1])[0];
      return reply.send({
        success: true,
        manager: { id: entry[1], firstName: user?.firstName, lastName: user?.lastName, ...(code ? { code } : {}) },
        ...(customer ? { customer } : {}),
      });
    },
  );
}

function additionalCodes(ctx: FakeContext): Array<{ userId: number; code: string }> {
  return Object.values(ctx.state.modules).flatMap((m) => {
    const tel = (
      m.integrations as { telephony?: { additionalCodes?: Array<{ userId: number; code: string }> } } | undefined
    )?.telephony;
    return tel?.additionalCodes ?? [];
  });
}

function knownCodes(ctx: FakeContext): Set<string> {
  return new Set(additionalCodes(ctx).map((a) => a.code));
}

function codesOf(ctx: FakeContext, userId: number): string[] {
  return additionalCodes(ctx)
    .filter((a) => a.userId === userId)
    .map((a) => a.code);
}
