-- The scope of a transaction: whom it works for, read by the row-level
-- security policies (migration 20261125_100141_row_level_security). Every
-- setting is transaction-local (set_config(..., true)): it ends with the
-- transaction, so a pooled connection never carries it into the next
-- caller's work. Used by ikenei.Database's scopes, not by a repository.

-- name: set_scope(organization_id, user_id, user_email, actor)$
-- Sets the organization, the person (by id, or by email while signing up or in) and the actor of the current transaction; NULL leaves one unset.
SELECT set_config('ikenei.organization_id', coalesce(:organization_id::uuid::text, ''), true),
       set_config('ikenei.user_id', coalesce(:user_id::uuid::text, ''), true),
       set_config('ikenei.user_email', coalesce(:user_email::text, ''), true),
       set_config('ikenei.actor', coalesce(:actor::text, ''), true);

-- name: set_access_token_scope(access_token_hash, actor)$
-- Makes the current transaction an external rater's: no organization and no person (row-level security shows no row), the hex digest of the access token (which the feedback functions for raters check) and the actor.
SELECT set_config('ikenei.organization_id', '', true),
       set_config('ikenei.user_id', '', true),
       set_config('ikenei.user_email', '', true),
       set_config('ikenei.access_token_hash', encode(:access_token_hash::bytea, 'hex'), true),
       set_config('ikenei.actor', coalesce(:actor::text, ''), true);

-- name: row_security_applies()$
-- Whether row-level security binds the session's role: false for the tables' owner, a superuser or a BYPASSRLS role.
SELECT row_security_active('public.organizations');
