// POST telephony/call/event, POST telephony/calls/upload, GET telephony/manager (with details=1).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { jsonField, reject } from '../guard.ts';
import type { FakeContext } from '../context.ts';
import { validateCallEvent, validateUploadCall, type FieldErrors } from '../validate.ts';
import type { AcceptedEvent, AcceptedUpload, StoredCustomer } from '../state.ts';
import { customerByPhone, telephonyCustomer } from '../customers.ts';
import { samePhone } from '../phone-match.ts';

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

  // details=1 adds the customer and ready links (api-client-php's ManagerResponse: manager, customer,
  // links{newOrderLink, lastOrderLink, newCustomerLink, customerLink}). The number may be in any format.
  app.get(
    '/api/v5/telephony/manager',
    { config: { crm: { bucket: 'telephony', scope: 'telephony_read' } } },
    (req, reply) => {
      const { phone, details } = req.query as { phone?: string; details?: string };
      if (!phone) return reject(ctx, req, reply, 400, 'missing_parameter', "Parameter 'phone' is missing");
      const stored = customerByPhone(ctx.state, phone);
      const managerId =
        Object.entries(ctx.managerByPhone).find(([p]) => samePhone(p, phone))?.[1] ?? stored?.customer.managerId;
      const withDetails = details === '1' || details === 'true';
      return reply.send({
        success: true,
        ...(managerId !== undefined ? { manager: managerOf(ctx, managerId) } : {}),
        ...(withDetails && stored ? { customer: telephonyCustomer(stored) } : {}),
        ...(withDetails ? { links: linksOf(accountOrigin(req), phone, stored) } : {}),
      });
    },
  );
}

function managerOf(ctx: FakeContext, id: number): Record<string, unknown> {
  const user = ctx.users?.find((u) => u.id === id);
  const code = codesOf(ctx, id)[0];
  return {
    id,
    firstName: user?.firstName,
    lastName: user?.lastName,
    ...(user?.email ? { email: user.email } : {}),
    ...(code ? { code } : {}),
  };
}

/** The account's own origin, as the links of the real answer carry it (https://<account>.retailcrm.ru). */
function accountOrigin(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}`;
}

/**
 * links of a details=1 answer. The PHP client's fixture shows `/orders/add?phone=…` and
 * `/customers/add?phone=…`; the card and last-order paths are RetailCRM's UI paths (?).
 */
function linksOf(origin: string, phone: string, stored: StoredCustomer | undefined): Record<string, string> {
  const q = `phone=${encodeURIComponent(phone)}`;
  if (!stored) return { newOrderLink: `${origin}/orders/add?${q}`, newCustomerLink: `${origin}/customers/add?${q}` };
  const id = stored.customer.id;
  return {
    newOrderLink: `${origin}/orders/add?customerId=${id}`,
    customerLink: `${origin}/customers/${id}`,
    ...(stored.lastOrderId !== undefined ? { lastOrderLink: `${origin}/orders/${stored.lastOrderId}/edit` } : {}),
  };
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
