// Module ids that do not depend on the folder the extension is built in, so that a rebuild
// anywhere (`make labext-check`) gives byte-identical assets.
module.exports = {
  optimization: {
    moduleIds: 'natural'
  }
};
