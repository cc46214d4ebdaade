// Query parameters of RetailCRM list methods (GET /api/v5/tasks …): `limit` 20|50|100, `page` from 1,
// `filter[name]=v` and array filters as `filter[name][]=v` (repeated; api-client-go's TasksTasks test
// sends `filter[creators][]=123`) or PHP's indexed `filter[name][0]=v`.
import type { FieldErrors } from './validate.ts';

export const LIST_LIMITS = [20, 50, 100];

export interface ListQuery {
  limit: number;
  page: number;
  /** Scalar filters as strings, array filters as string arrays. */
  filter: Record<string, string | string[]>;
}

/**
 * Parses and checks a list query; `filters` names each accepted filter and whether it is an array.
 * An unknown filter is refused like a form with extra fields (wording unconfirmed (?)).
 */
export function parseListQuery(
  query: Record<string, unknown>,
  filters: Record<string, 'scalar' | 'array'>,
): ListQuery | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  const page = query.page === undefined ? 1 : Number(query.page);
  if (!LIST_LIMITS.includes(limit)) errors.limit = 'The value you selected is not a valid choice (20, 50, 100).';
  if (!Number.isInteger(page) || page < 1) errors.page = 'This value should be greater than or equal to 1.';
  const filter: Record<string, string | string[]> = {};
  for (const [key, raw] of Object.entries(query)) {
    const m = /^filter\[(\w+)\](\[\d*\])?$/.exec(key);
    if (!m) continue;
    const [, name, index] = m as unknown as [string, string, string | undefined];
    const kind = filters[name];
    const values = (Array.isArray(raw) ? raw : [raw]).map(String);
    if (!kind) errors[name] = 'This form should not contain extra fields.';
    else if (kind === 'array') {
      if (index === undefined) errors[name] = 'This value should be of type array.';
      else filter[name] = [...((filter[name] as string[] | undefined) ?? []), ...values];
    } else if (index !== undefined || values.length > 1) errors[name] = 'This value should be of type string.';
    else filter[name] = values[0]!;
  }
  return Object.keys(errors).length ? { errors } : { limit, page, filter };
}

/** One page of `items` and RetailCRM's `pagination` block. */
export function paginate<T>(items: T[], q: ListQuery) {
  return {
    pagination: {
      limit: q.limit,
      totalCount: items.length,
      currentPage: q.page,
      totalPageCount: Math.max(1, Math.ceil(items.length / q.limit)),
    },
    page: items.slice((q.page - 1) * q.limit, q.page * q.limit),
  };
}
