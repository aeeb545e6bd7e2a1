// The API's filter language (docs/API.md "Listing"): fields, the operators each accepts, and
// the `filter=<logic>.<operator>.<field>[.<value>]` strings the URL and the API carry.
export const TEXT_FIELDS = ['name', 'source', 'description', 'email', 'phone', 'website', 'address',
  'city', 'state', 'country', 'postal_code', 'category', 'source_id', 'logo_url', 'status'];
export const NUMBER_FIELDS = ['rating', 'review_count', 'score', 'created_at', 'updated_at', 'last_interaction_at'];

export const OPERATORS = {
  text: ['eq', 'neq', 'contains', 'not_contains', 'starts_with', 'ends_with', 'in', 'is_empty', 'is_not_empty'],
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'],
  tags: ['array_contains', 'array_not_contains', 'array_empty', 'array_not_empty'],
  location: ['within_radius', 'is_set', 'is_not_set'],
  attr: ['eq', 'neq', 'contains', 'not_contains', 'starts_with', 'ends_with', 'gt', 'gte', 'lt', 'lte',
    'is_empty', 'is_not_empty', 'array_contains', 'array_not_contains', 'array_empty', 'array_not_empty'],
};

export const OPERATOR_LABELS = {
  eq: 'equals', neq: 'does not equal', contains: 'contains', not_contains: 'does not contain',
  starts_with: 'starts with', ends_with: 'ends with', in: 'is one of (a,b,c)', is_empty: 'is empty',
  is_not_empty: 'is not empty', gt: '>', gte: '≥', lt: '<', lte: '≤',
  array_contains: 'has', array_not_contains: 'does not have', array_empty: 'has none',
  array_not_empty: 'has some', within_radius: 'within radius (lat,lng,km)', is_set: 'is set',
  is_not_set: 'is not set',
};

const NO_VALUE = new Set(['is_empty', 'is_not_empty', 'array_empty', 'array_not_empty', 'is_set', 'is_not_set']);
export function needsValue(op) { return !NO_VALUE.has(op); }

export function fieldKind(field) {
  if (field.startsWith('attr:')) return 'attr';
  if (field === 'tags') return 'tags';
  if (field === 'location') return 'location';
  if (NUMBER_FIELDS.includes(field)) return 'number';
  return 'text';
}

/// "and.eq.city.Paris" → {logic, op, field, value}; the value keeps its dots.
export function parseFilter(text) {
  const parts = text.split('.');
  const [logic, op, field] = parts;
  let rest = parts.slice(3).join('.');
  // `attr:name` holds no dot, so the split above is the API's (first three dots).
  return { logic: logic || 'and', op: op || 'eq', field: field || 'name', value: parts.length > 3 ? rest : '' };
}

export function formatFilter(f) {
  return `${f.logic}.${f.op}.${f.field}` + (needsValue(f.op) ? '.' + (f.value ?? '') : '');
}
