"""jobs: submits generation jobs to KIE, takes their results, delivers them and settles credits."""
