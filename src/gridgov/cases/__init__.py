"""Cases: intake, workflow and the SLA clock (DESIGN.md section 4)."""
