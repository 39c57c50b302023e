/** Whether process `pid` exists (signal 0 checks without sending; EPERM: it exists, owned by another user). */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
