/**
 * The SageMaker built-in Linear Learner image for each region. Accounts are copied from the
 * SageMaker Python SDK's `image_uri_config/linear-learner.json` (v2.257.6, 2026-08): the image is
 * not discoverable through any API, so a wrong table means a job that fails only after it starts.
 */
import { UserInputError } from '../errors/index.js';

/** Region → ECR registry account that hosts `linear-learner:1`. */
export const LINEAR_LEARNER_ACCOUNTS: Readonly<Record<string, string>> = Object.freeze({
  'af-south-1': '455444449433',
  'ap-east-1': '286214385809',
  'ap-northeast-1': '351501993468',
  'ap-northeast-2': '835164637446',
  'ap-northeast-3': '867004704886',
  'ap-south-1': '991648021394',
  'ap-south-2': '628508329040',
  'ap-southeast-1': '475088953585',
  'ap-southeast-2': '712309505854',
  'ap-southeast-3': '951798379941',
  'ap-southeast-4': '106583098589',
  'ca-central-1': '469771592824',
  'ca-west-1': '190319476487',
  'cn-north-1': '390948362332',
  'cn-northwest-1': '387376663083',
  'eu-central-1': '664544806723',
  'eu-central-2': '680994064768',
  'eu-north-1': '669576153137',
  'eu-south-1': '257386234256',
  'eu-south-2': '104374241257',
  'eu-west-1': '438346466558',
  'eu-west-2': '644912444149',
  'eu-west-3': '749696950732',
  'il-central-1': '898809789911',
  'me-central-1': '272398656194',
  'me-south-1': '249704162688',
  'sa-east-1': '855470959533',
  'us-east-1': '382416733822',
  'us-east-2': '404615174143',
  'us-gov-east-1': '237065988967',
  'us-gov-west-1': '226302683700',
  'us-iso-east-1': '490574956308',
  'us-isob-east-1': '765400339828',
  'us-isof-east-1': '108575199400',
  'us-isof-south-1': '124985052026',
  'us-west-1': '632365934929',
  'us-west-2': '174872318107',
});

/** The image tag digitflow trains with (AWS keeps `1` pointing at the current Linear Learner). */
export const LINEAR_LEARNER_TAG = '1';

/**
 * DNS suffix of ECR in a region's partition. China uses `.amazonaws.com.cn`; the ISO partitions
 * have their own suffixes (from botocore's endpoints.json) because they are air-gapped clouds.
 */
export function ecrDnsSuffix(region: string): string {
  if (region.startsWith('cn-')) return 'amazonaws.com.cn';
  if (region.startsWith('us-isob-')) return 'sc2s.sgov.gov';
  if (region.startsWith('us-isof-')) return 'csp.hci.ic.gov';
  if (region.startsWith('us-iso-')) return 'c2s.ic.gov';
  return 'amazonaws.com';
}

/** Full image URI, e.g. `382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1`. */
export function linearLearnerImage(region: string): string {
  const account = LINEAR_LEARNER_ACCOUNTS[region];
  if (!account) {
    throw new UserInputError('REGION_UNSUPPORTED', `Linear Learner has no known image in region '${region}'`, {
      hint: `use one of: ${Object.keys(LINEAR_LEARNER_ACCOUNTS).join(', ')} (pass --region or set AWS_REGION)`,
      details: { region },
    });
  }
  return `${account}.dkr.ecr.${region}.${ecrDnsSuffix(region)}/linear-learner:${LINEAR_LEARNER_TAG}`;
}

/** Console partition host for links printed in errors. */
export function consoleHost(region: string): string {
  if (region.startsWith('cn-')) return 'console.amazonaws.cn';
  if (region.startsWith('us-gov-')) return 'console.amazonaws-us-gov.com';
  return 'console.aws.amazon.com';
}
