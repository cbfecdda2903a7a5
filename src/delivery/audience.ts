import { type DeliverableField, type Destination, useOf } from '../destinations/destination';

// SQL fragments over `customers c`, chosen from allow-lists: no destination text reaches SQL.

const emailSha256 = "encode(sha256(convert_to(lower(trim(c.email)), 'UTF8')), 'hex')";

const fieldSql: Record<DeliverableField, string> = {
  customer_id: 'c.customer_id',
  email_sha256: emailSha256,
  email: 'c.email',
  plan: 'c.plan',
  country: 'c.country',
};

/**
 * A json object of the destination's allowed fields; customer_id is always sent (it keys removes).
 * With `armOfDelivery` (the SQL naming the delivery's id), also the member's arm in the experiment
 * the delivery was planned with (null without one): what an analysis destination receives.
 */
export function addRowSql(fields: DeliverableField[], armOfDelivery?: string): string {
  const names = ['customer_id', ...fields.filter((f) => f !== 'customer_id')] as DeliverableField[];
  const cells = names.map((f) => `'${f}', ${fieldSql[f]}`);
  if (armOfDelivery) cells.push(`'arm', ${armSql(armOfDelivery)}`);
  return `json_build_object(${cells.join(', ')})`;
}

/** The member's arm in the experiment of the delivery (experiment_assignments' primary key). */
export const armSql = (deliveryId: string) =>
  `(SELECT a.arm FROM destination_deliveries d JOIN experiment_assignments a ON a.experiment_id = d.experiment_id
    WHERE d.delivery_id = ${deliveryId} AND a.customer_id = c.customer_id)`;

/** The row SQL for a destination: analysis destinations get the arm too. */
export const destinationRowSql = (d: Pick<Destination, 'kind' | 'use' | 'fields'>, deliveryId: string): string =>
  addRowSql(d.fields, useOf(d) === 'analysis' ? deliveryId : undefined);

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
