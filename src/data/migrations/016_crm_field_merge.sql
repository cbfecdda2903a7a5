-- Issue 14: a contact's current state is, field by field, the newest non-empty value among all of
-- its CRM records (docs/cohorts.md), whatever order the records arrived in. The email is kept per
-- record too, so the current email follows the same rule.

ALTER TABLE crm_history ADD COLUMN email text;
UPDATE crm_history h SET email = c.email FROM customers c
  WHERE c.customer_id = h.customer_id AND h.updated_at = c.crm_updated_at AND c.email IS NOT NULL;

-- Rows written before this migration kept a stale value when a partial record came last.
UPDATE customers c SET email = COALESCE(t.email, c.email), plan = t.plan, country = t.country,
    lifecycle_stage = t.lifecycle_stage, signup_at = t.signup_at, consent_marketing = t.consent_marketing
  FROM (SELECT customer_id,
          (array_agg(email ORDER BY updated_at DESC) FILTER (WHERE email IS NOT NULL))[1] AS email,
          (array_agg(plan ORDER BY updated_at DESC) FILTER (WHERE plan IS NOT NULL))[1] AS plan,
          (array_agg(country ORDER BY updated_at DESC) FILTER (WHERE country IS NOT NULL))[1] AS country,
          (array_agg(lifecycle_stage ORDER BY updated_at DESC) FILTER (WHERE lifecycle_stage IS NOT NULL))[1] AS lifecycle_stage,
          (array_agg(signup_at ORDER BY updated_at DESC) FILTER (WHERE signup_at IS NOT NULL))[1] AS signup_at,
          (array_agg(consent_marketing ORDER BY updated_at DESC) FILTER (WHERE consent_marketing IS NOT NULL))[1] AS consent_marketing
        FROM crm_history GROUP BY customer_id) t
  WHERE t.customer_id = c.customer_id AND c.erased_at IS NULL;
