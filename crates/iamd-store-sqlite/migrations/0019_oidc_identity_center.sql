-- UpdateOpenIDConnectProvider's settings (reserved number 19 after the lead's SAML
-- providers, 18): the trusted identity propagation context provider (a JSON object) and
-- the IAM Identity Center instance, kept and returned; NULL when not set.
ALTER TABLE oidc_providers ADD COLUMN context_provider TEXT;
ALTER TABLE oidc_providers ADD COLUMN identity_center_instance_arn TEXT;
