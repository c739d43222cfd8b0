/**
 * The one rule set for configuration that the CLI, the provider daemon and the web server share:
 * typed settings tables, one precedence (flag > environment > config file > default), one config
 * file reader and one rule for secret files.
 */
export {
  ConfigError,
  ConfigFileError,
  InvalidPrivateKeyError,
  InvalidSettingError,
  MissingSettingError,
  SecretFileError,
  SecretFileExistsError,
  SecretFileMissingError,
  settingLabel,
  type FlagSpelling,
  type SettingOrigin,
  type SettingSource,
} from "./errors.ts";
export { readConfigFile } from "./file.ts";
export { parsePrivateKey, readKeyFile } from "./key-file.ts";
export { createSecretFile, readSecretFile, SECRET_FILE_MODE } from "./secret-file.ts";
export * as settingKinds from "./schemas.ts";
export {
  defineSettings,
  resolveSettings,
  SHARED_SETTINGS,
  type ResolvedSettings,
  type ResolveSettingsParameters,
  type SettingDefinition,
  type SettingsTable,
  type SettingValues,
} from "./settings.ts";
