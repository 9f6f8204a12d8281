export * from './export-archive';
export * from './export-importer';
