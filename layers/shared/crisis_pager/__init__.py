"""crisis-pager: on-call paging and escalation for virtual intensive outpatient programs."""
