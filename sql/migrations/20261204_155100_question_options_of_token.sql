-- Up Migration
-- Description: An external rater's token lists the options of the choice questions of its form, as it lists the questions
-- Date: 2026-12-04
--
-- An external rater works in a scope of no organization: the options of
-- feedback_question_options are not theirs to read, like the questions. This
-- function shows them the options of the form of the open invitation their
-- token opens, by question then option position, refused like
-- feedback_invitation_of_token (unknown, used, declined or expired token).

CREATE FUNCTION feedback_question_options_of_token(p_token_hash BYTEA)
RETURNS SETOF feedback_question_options
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    the_form UUID;
BEGIN
    SELECT t.form_id INTO the_form FROM public.feedback_invitation_of_token(p_token_hash) AS t;
    RETURN QUERY
        SELECT o.*
          FROM public.feedback_question_options o
          JOIN public.feedback_questions q ON q.id = o.question_id
         WHERE o.form_id = the_form
         ORDER BY q.position, o.position;
END
$$;

REVOKE ALL ON FUNCTION feedback_question_options_of_token(BYTEA) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION feedback_question_options_of_token(BYTEA) TO ikenei_app;
