// Imported first by each benchmark: settings that must be in place before any dmslite module
// (its logger reads the level at import) or the AWS SDK loads.
process.env.DMSLITE_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_DEV ??= 'false';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
