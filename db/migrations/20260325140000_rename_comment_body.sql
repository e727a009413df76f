-- Rename: "content" is what the API has always called it.
alter table comments rename column body to content;
