-- What a system or hook message means, as JSON (`{"type": "task_created", …}`):
-- each reader's client words it in their own language, zone and date format.
-- The body keeps a text in the actor's language for search, push and older
-- clients. Null for people's messages and for system messages posted before.
alter table messages add column notice text;
