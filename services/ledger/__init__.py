"""The write side: the application service that executes commands, the commands
themselves and their JSON form, the plan templates in force, and queries of the
event store as it is."""
