-- Data migration: guess the locale of existing users from their address.
update users set locale = 'de' where email like '%.de';
update users set locale = 'fr' where email like '%.fr';
