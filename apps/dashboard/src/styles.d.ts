// The stylesheet is imported for the bundler, which emits it as a hashed file of its own.
declare module '*.css';
