/// A PostgreSQL server with everything dpm uses of it, for the workflows that need it all
/// (upload, restore's fill, squash, migrations). The Postgres module implements every port
/// over libpq and the client tools; the local workflows take the narrow ports they need.
public typealias DatabaseServer = DatabaseCatalog & DatabaseQuery & DumpTools & SQLRunner & ServerConnectionInfo
