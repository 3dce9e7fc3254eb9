-- Up Migration
-- Description: Results, completion and event counts read index entries of their answer: covering indexes, and the indexes that misled the planner or repeated another dropped
-- Date: 2026-12-05
--
-- The seed's strategy stays: one index per way a table is read, named
-- idx_<table>_<what>. Where this migration departs from it, it says why.
--
-- feedback_responses
--   idx_feedback_responses_target_cycle (target_user_id, cycle_id) INCLUDE
--   (organization_id, question_id, relationship, submission_id, rating,
--   option_ids) is the one way results read answers: feedback_analysis,
--   feedback_question_results and feedback_weighted_score select one
--   person's answers in one cycle and read nothing else of them, so they are
--   index-only scans that touch the entries of that person's answers, however
--   large the table. organization_id is included so that a scan under
--   row-level security (feedback_responses_current) needs no row either.
--   feedback_comments reads the comment itself, from the rows the index
--   finds: its cost is also that of its answer.
--   It replaces idx_feedback_responses_user (target_user_id), its first
--   column, which the erasure and export by person use as well.
--   idx_feedback_responses_question (question_id) is dropped: with it the
--   planner combined it with the person's index in a BitmapAnd over every
--   answer to the question (of every person) to find one person's answers.
--   Nothing reads answers by question alone; deleting a question is refused
--   while the form is used (feedback_questions_frozen_while_used), and its
--   foreign-key check finds the form's answers through
--   idx_feedback_responses_form_cycle.
--   idx_feedback_responses_submission (submission_id) is dropped: the unique
--   constraint feedback_responses_question_id_key (submission_id,
--   question_id) starts with the same column and serves the same reads.
--
-- feedback_ratings
--   idx_feedback_ratings_target_cycle keeps its columns (target_user_id,
--   cycle_id, competency_id) and includes (organization_id, relationship,
--   rating): feedback_results_by_group, the trend and the heatmap read
--   exactly these, so they become index-only scans.
--
-- feedback_invitations
--   idx_feedback_invitations_cycle_status becomes (cycle_id, organization_id,
--   status) INCLUDE (relationship, id, target_user_id, rater_user_id): the
--   completion of a cycle counts its invitations by relationship and status
--   under the policies on organization_id, the target's reach and the rater,
--   all of which the index now holds, so the count reads the cycle's index
--   entries and no row. organization_id is a key column, second, so that the
--   policy's organization_id = (SELECT current_organization_id()) is a
--   condition of this one index: with it only in the unique
--   (organization_id, id) the planner, which takes the cycle and the
--   organization for independent, combined the two indexes in a BitmapAnd
--   and read every row of the cycle. A cycle belongs to one organization, so
--   the reads by cycle and status (pending raters, reminders, expiry) find
--   the same entries as before.
--
-- analytics_events
--   idx_analytics_events_organization_time keeps (organization_id,
--   occurred_at) and includes event_type: a count of events by day and type
--   reads the index entries of the organization's events in the period,
--   instead of one heap page per event (the events of all organizations
--   interleave in time). Chosen over a per-day rollup: the count is by day
--   of any time zone (whole-hour buckets would not serve half-hour zones), and
--   it counts the events the caller may see (analytics_events_view: one's own
--   without analytics.view), which a rollup per organization cannot.
--   Under the application role the count still reads each event's row: the
--   policy analytics_events_view also lets a transaction see the events it
--   wrote itself (xmin), and xmin is only in the row.

DROP INDEX idx_feedback_responses_question;
DROP INDEX idx_feedback_responses_submission;
DROP INDEX idx_feedback_responses_user;
CREATE INDEX idx_feedback_responses_target_cycle ON feedback_responses (target_user_id, cycle_id)
    INCLUDE (organization_id, question_id, relationship, submission_id, rating, option_ids);

DROP INDEX idx_feedback_ratings_target_cycle;
CREATE INDEX idx_feedback_ratings_target_cycle ON feedback_ratings (target_user_id, cycle_id, competency_id)
    INCLUDE (organization_id, relationship, rating);

DROP INDEX idx_feedback_invitations_cycle_status;
CREATE INDEX idx_feedback_invitations_cycle_status ON feedback_invitations (cycle_id, organization_id, status)
    INCLUDE (relationship, id, target_user_id, rater_user_id);

DROP INDEX idx_analytics_events_organization_time;
CREATE INDEX idx_analytics_events_organization_time ON analytics_events (organization_id, occurred_at)
    INCLUDE (event_type);
