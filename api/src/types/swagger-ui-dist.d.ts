// swagger-ui-dist ships no types. mlship only asks it where its static files are, through the
// small absolute-path module: the package's index loads the whole 1.5 MB UI bundle into Node.
declare module 'swagger-ui-dist/absolute-path.js' {
  function getAbsoluteFSPath(): string;
  export = getAbsoluteFSPath;
}
