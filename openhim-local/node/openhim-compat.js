// Preloaded with `node -r openhim-compat.js` into the OpenHIM core master and its cluster workers
// (cluster.fork() re-uses the master's execArgv, so the workers get it too). Started by
// org.chis.openhim.local.OpenHimCore; see openhim-local/README.md.
'use strict'
const path = require('path')
const cluster = require('cluster')

// 1. mongoose 4.13 sends the legacy `$pushAll` update operator when it saves a modified array (e.g. a rerun adding
//    childIDs to the original transaction). MongoDB >= 3.6 and mongo-java-server reject it ("Unknown modifier:
//    $pushAll"); with usePushEach mongoose sends `$push: {$each: [...]}` instead. Only mongoose 4 has (and needs) the
//    option: mongoose 5+ never sends $pushAll and rejects unknown options, so OpenHimCore says which core it started
//    (OPENHIM_LOCAL_CORE_DIR) and whether its mongoose is 4 (OPENHIM_LOCAL_USE_PUSH_EACH, see CoreInstall).
const coreDir = process.env.OPENHIM_LOCAL_CORE_DIR ||
  path.dirname(require.resolve('openhim-core/package.json', { paths: [__dirname, process.cwd()] }))
if (process.env.OPENHIM_LOCAL_USE_PUSH_EACH !== '0') {
  const mongoose = require(require.resolve('mongoose', { paths: [coreDir] }))
  mongoose.set('usePushEach', true)
  if (cluster.isMaster) console.error(`openhim-compat: mongoose ${mongoose.version}: usePushEach on`)
}

// 2. Never outlive the JVM that started us: when OPENHIM_LOCAL_EXIT_WITH_PARENT=1 (set by OpenHimCore), the master
//    exits as soon as its parent process is gone (a test JVM killed with SIGKILL, a surefire fork timeout), so no
//    orphaned core keeps the ports. Workers exit by themselves when their master's IPC channel closes.
if (process.env.OPENHIM_LOCAL_EXIT_WITH_PARENT === '1' && cluster.isMaster) {
  const parent = process.ppid
  setInterval(() => {
    let alive = process.ppid === parent
    if (alive) {
      try { process.kill(parent, 0) } catch (e) { alive = false }
    }
    if (!alive) {
      console.error(`openhim-compat: parent process ${parent} is gone, stopping OpenHIM core`)
      process.exit(0) // the workers see their IPC channel close and exit too
    }
  }, 1000).unref()
}
