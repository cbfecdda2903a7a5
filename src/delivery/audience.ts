import type { DeliverableField } from '../destinations/destination';

// SQL fragments over `customers c`, chosen from allow-lists: no destination text reaches SQL.

const emailSha256 = "encode(sha256(convert_to(lower(trim(c.email)), 'UTF8')), 'hex')";

const fieldSql: Record<DeliverableField, string> = {
  customer_id: 'c.customer_id',
  email_sha256: emailSha256,
  email: 'c.email',
  plan: 'c.plan',
  country: 'c.country',
};

/** A json object of the destination's allowed fields; customer_id is always sent (it keys removes). */
export function addRowSql(fields: DeliverableField[]): string {
  const names = ['customer_id', ...fields.filter((f) => f !== 'customer_id')] as DeliverableField[];
  return `json_build_object(${names.map((f) => `'${f}', ${fieldSql[f]}`).join(', ')})`;
}

export const removeRowSql = "json_build_object('customer_id', c.customer_id)";

/**
 * True when the customer may be sent to a destination of purpose $purpose, as of now (the latest
 * CRM state in customers, plus the suppression list). Marketing needs consent given explicitly.
 * `purposeParam` is the placeholder ($n) holding the purpose.
 */
export function consentedSql(purposeParam: string): string {
  return `((${purposeParam} <> 'marketing' OR c.consent_marketing IS TRUE)
    AND NOT EXISTS (SELECT 1 FROM suppression_list s WHERE s.purpose IN (${purposeParam}, '*')
      AND (s.customer_id = c.customer_id OR (c.email IS NOT NULL AND s.email_sha256 = ${emailSha256}))))`;
}
