"""What stays on disk about drills: live journals and recovery, result bundles, replay, history, progress, postmortems, assessments, the trainee's name."""
