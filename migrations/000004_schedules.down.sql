DROP TABLE IF EXISTS rmm_schedules;
