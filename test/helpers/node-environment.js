/**
 * Jest's node environment, with the test files' global object an ordinary one.
 *
 * jest-environment-node (30) contextifies a Proxy (its GlobalProxy, which records globals to
 * delete at teardown): every global lookup a test file or the code it loads makes (`Math`,
 * `Object`, `JSON`, `Date`...) crosses Node's context interceptor and then that Proxy's traps.
 * Node 22.8+ can create a context whose global is an ordinary object
 * (`vm.createContext(vm.constants.DONT_CONTEXTIFY)`, https://nodejs.org/api/vm.html#vmconstantsdont_contextify),
 * so a lookup costs what it costs outside jest. The environment is otherwise jest's own: it
 * installs the same globals on that object, and each test file still gets a context of its own.
 */
const vm = require('vm');
const { TestEnvironment } = require('jest-environment-node');

class NodeEnvironment extends TestEnvironment {
  constructor(config, context) {
    // jest-environment-node calls vm.createContext(proxy) once, in its constructor.
    const createContext = vm.createContext;
    vm.createContext = () => createContext(vm.constants.DONT_CONTEXTIFY);
    try {
      super(config, context);
    } finally {
      vm.createContext = createContext;
    }
  }
}

module.exports = NodeEnvironment;
