// Loaded by mocha before every spec file: decorator metadata and a quiet default log level.
import 'reflect-metadata';

process.env.TW_LOG_LEVEL ??= 'silent';
