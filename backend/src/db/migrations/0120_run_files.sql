-- How many report files a run was made of: a pipeline's files after the first are added to its run (runId=),
-- and the run showed only the first one's name, as if it were the whole run.
ALTER TABLE test_runs ADD COLUMN files integer NOT NULL DEFAULT 1;
