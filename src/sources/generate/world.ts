import { weightedTable } from './random';

// The vocabulary of the synthetic business: where customers are, what they pay, what they do.

export const DAY_MS = 86_400_000;
export const PLANS = ['free', 'pro', 'enterprise'] as const;
export const PLAN = { free: 0, pro: 1, enterprise: 2 } as const;

export interface Region {
  country: string;
  weight: number;
  /** Fixed offset (no DST): shapes local working hours and support-desk timestamps. */
  utcOffsetMin: number;
  currency: string;
  /** Monthly price of pro and enterprise in the local price book. */
  prices: readonly [pro: number, enterprise: number];
  minorUnits: number;
}

export const REGIONS: readonly Region[] = [
  { country: 'US', weight: 30, utcOffsetMin: -300, currency: 'USD', prices: [49, 499], minorUnits: 2 },
  { country: 'CA', weight: 5, utcOffsetMin: -300, currency: 'CAD', prices: [65, 675], minorUnits: 2 },
  { country: 'BR', weight: 7, utcOffsetMin: -180, currency: 'BRL', prices: [249, 2490], minorUnits: 2 },
  { country: 'GB', weight: 9, utcOffsetMin: 0, currency: 'GBP', prices: [39, 399], minorUnits: 2 },
  { country: 'DE', weight: 10, utcOffsetMin: 60, currency: 'EUR', prices: [45, 459], minorUnits: 2 },
  { country: 'FR', weight: 7, utcOffsetMin: 60, currency: 'EUR', prices: [45, 459], minorUnits: 2 },
  { country: 'ES', weight: 4, utcOffsetMin: 60, currency: 'EUR', prices: [45, 459], minorUnits: 2 },
  { country: 'IN', weight: 12, utcOffsetMin: 330, currency: 'INR', prices: [3999, 39999], minorUnits: 2 },
  { country: 'JP', weight: 8, utcOffsetMin: 540, currency: 'JPY', prices: [7400, 74000], minorUnits: 0 },
  { country: 'AU', weight: 8, utcOffsetMin: 600, currency: 'AUD', prices: [75, 749], minorUnits: 2 },
];
export const REGION_TABLE = weightedTable(REGIONS.map((r) => r.weight));

/** The invoice amount as billing exports write it: "49.00", or "7400" for yen. */
export const priceText = (region: Region, plan: number): string =>
  region.prices[plan === PLAN.enterprise ? 1 : 0].toFixed(region.minorUnits);

/** Activity by UTC weekday, Sunday first: weekends are quieter. */
export const WEEKDAY_FACTOR = [0.45, 1.08, 1.15, 1.15, 1.1, 0.95, 0.5] as const;

export interface EventVariant {
  type: string;
  properties?: Record<string, string>;
}

const variants = (list: Array<[weight: number, type: string, properties?: Record<string, string>]>) => ({
  variants: list.map(([, type, properties]) => ({ type, properties })),
  weights: list.map(([weight]) => weight),
});

/** What a signed-up user does in a day; exports triple in the last days of a month (reporting). */
const USER_EVENTS = variants([
  [14, 'login', { method: 'password' }],
  [6, 'login', { method: 'sso' }],
  [10, 'feature_used', { feature: 'dashboards' }],
  [8, 'feature_used', { feature: 'segments' }],
  [5, 'feature_used', { feature: 'alerts' }],
  [4, 'feature_used', { feature: 'exports' }],
  [3, 'feature_used', { feature: 'api' }],
  [3, 'feature_used', { feature: 'sql_editor' }],
  [5, 'report_exported', { format: 'csv' }],
  [3, 'report_exported', { format: 'pdf' }],
  [2, 'invite_sent', { role: 'member' }],
  [8, 'page_viewed', { page: 'home' }],
  [3, 'page_viewed', { page: 'settings' }],
  [1, 'page_viewed', { page: 'billing' }],
  [5, 'search'],
  [2, 'dashboard_shared'],
]);
/** A visitor before signing up: known only by a browser id. */
const ANONYMOUS_EVENTS = variants([
  [4, 'page_viewed', { page: 'home' }],
  [5, 'page_viewed', { page: 'pricing' }],
  [4, 'page_viewed', { page: 'docs' }],
  [1, 'signup_started'],
]);

/** Every product event variant; the tables below hold indices into it. */
export const EVENT_VARIANTS: readonly EventVariant[] = [
  ...USER_EVENTS.variants,
  ...ANONYMOUS_EVENTS.variants,
  { type: 'identify' },
];
export const IDENTIFY_VARIANT = EVENT_VARIANTS.length - 1;

const variantOf = (type: string, feature: string) =>
  EVENT_VARIANTS.findIndex((v) => v.type === type && v.properties?.feature === feature);
/** The developer features (API, SQL editor) a customer takes up on one day, and what they use before it. */
export const DEVELOPER_VARIANTS: readonly number[] = [
  variantOf('feature_used', 'api'),
  variantOf('feature_used', 'sql_editor'),
];
export const DASHBOARDS_VARIANT = variantOf('feature_used', 'dashboards');
const anonymousBase = USER_EVENTS.variants.length;

export const USER_EVENT_TABLE = weightedTable(USER_EVENTS.weights);
export const MONTH_END_EVENT_TABLE = weightedTable(
  USER_EVENTS.weights.map((w, i) => (USER_EVENTS.variants[i]!.type === 'report_exported' ? w * 3 : w)),
);
export const ANONYMOUS_EVENT_TABLE = weightedTable(ANONYMOUS_EVENTS.weights).map((i) => i + anonymousBase);

export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const PRIORITY_TABLE = weightedTable([30, 50, 15, 5]);
export const ENTERPRISE_PRIORITY_TABLE = weightedTable([20, 45, 23, 12]);
